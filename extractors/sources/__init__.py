"""Where inputs come from: files and folders, web pages, feeds and sitemaps, and the HTTP client."""
