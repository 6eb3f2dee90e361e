"""GitHub: the commit-source port, its PyGithub adapter, and the push webhook."""
