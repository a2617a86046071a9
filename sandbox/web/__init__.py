"""Pages for people: the API docs (Swagger UI, ReDoc), problem type pages, later the console.

The rule for every page the sandbox serves: nothing on it comes from another host. Scripts,
styles, fonts and images are files of the sandbox itself (``/static/...``), and every HTML answer
carries a Content-Security-Policy that lets the browser load nothing else, so a page that breaks
the rule is blank in a test rather than silently dependent on the internet. ``pages`` holds the
policies and the helpers that apply them; ``docs`` serves the docs pages from a PyPI package.
"""
