"""Websockets compatible with Dallinger's clients: the `/chat` route, its frames and control events."""
