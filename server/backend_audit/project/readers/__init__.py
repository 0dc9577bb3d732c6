"""Manifest readers per ecosystem, one module each; every module registers its readers with
`backend_audit.project.manifests.register_reader` when imported. All modules here are imported
by `manifests.load_readers()`, so adding an ecosystem is adding a file."""
