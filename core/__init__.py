"""People, roles, branches, sign-in, scoping and the audit trail."""
