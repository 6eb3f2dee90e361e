"""Entry points: the command line, the HTTP server, the process lifecycle and the console. They parse, call and render."""
