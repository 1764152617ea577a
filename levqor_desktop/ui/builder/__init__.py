"""The workflow canvas (``BUILDER_ENABLED``): a node editor over the workflow document.

``graph``     the document's graph (needs, upstream, layered layout), no Qt
``edits``     pure document edits (add, connect, delete, paste, move, rename)
``faults``    which node or edge a validation fault belongs to
``items``     node and port items; ``edges`` the need edges, drawn by one layer item
``scene``     keeps the items in step with a document; port-to-port dragging
``view``      zoom, pan, fit, keyboard selection, drops from the palette
``palette``   the searchable action catalog; ``inspector`` the node's form
``overlay``   the live test-run states; ``commands`` the undo command and shortcuts
``editor``    puts it together (palette | canvas | inspector, one undo stack)
``link``      wires the editor into the Workflows panel
"""
