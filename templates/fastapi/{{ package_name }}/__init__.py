"""The web application: settings, routers and the app factory."""
