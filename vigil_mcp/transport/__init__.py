"""How requests reach the server: stdio, Streamable HTTP and its plain routes, bearer tokens, the signed webhook.

Imports flow one way: transport -> server -> services -> storage. Nothing under `server/` imports
from here; `cli/serve.py` starts a transport.
"""
