"""Renderers turn a neutral `Reply` into one platform's markup, escaping user text on the way."""
