"""The Textual UI: app, screens, widgets, messages. Nothing below this package imports Textual."""
