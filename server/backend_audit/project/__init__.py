"""Floor 4: manifests, dependencies, project facts and project-level checks."""
