"""Chat platforms: each only translates its wire format to an `Invocation` and renders replies."""
