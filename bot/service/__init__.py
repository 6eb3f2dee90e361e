"""Services: watcher, digest, scheduler, HTTP server."""
