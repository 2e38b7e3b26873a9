"""The VTN's admin JSON API, server side (its client is the ``oadr-vtn`` CLI, ``vtn.cli``)."""
