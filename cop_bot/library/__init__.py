"""The repertoire on the web: the library's pages, its secret link, toolkits and static export."""
