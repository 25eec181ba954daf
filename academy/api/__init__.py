"""JSON API v1: personal access tokens, and the site's services over HTTP for other systems."""
