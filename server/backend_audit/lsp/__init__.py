"""Floor 7: the language server. The only package that imports pygls or lsprotocol; it translates.

    server.py       the pygls server, `create_server(...)`, `run(tcp=None)`, raw handlers
    session.py      state and the life of an open document (edits, debounce, analyses)
    publisher.py    push or pull, never both; version-ordered reports
    diagnostics.py  Finding -> types.Diagnostic (the only place)
    positions.py    the one position conversion (negotiated encoding <-> UTF-16)
    settings.py     the `backendAudit` settings object
    reload.py       config and rule-pack loading, file watching, hot reload
    scanning.py     the background workspace scan with work-done progress
    actions.py      quick fixes, suppressions, fix-all
    hover.py        rationale and checklist item of a finding
    commands.py     generateReport, scanWorkspace, showRuleDoc
"""
