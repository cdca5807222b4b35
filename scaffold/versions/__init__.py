"""Template versions: the history of the templates scaffold ships, and updating projects to it."""
