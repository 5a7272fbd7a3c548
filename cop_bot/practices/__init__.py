"""The shared repertoire: fields and review rules, queries, search index, import/export."""
