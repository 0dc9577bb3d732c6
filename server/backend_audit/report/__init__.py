"""Floor 6: the audit report. Maturity scoring, evidence and rendering (jinja2)."""
