"""The subcommands of ``lrlab``, one module each, registered by name in :mod:`lrlab.cli`.

A command module's docstring is its ``--help`` text (the first line is its line in
``lrlab --help``), and it defines ``add_arguments(parser)`` and ``run(args)``. It stays thin:
parse the arguments, call one library function, which raises :class:`lrlab.base.errors.LrlabError`
for anything the user can fix. Every command module is imported for ``lrlab --help`` and for
each command, so one imports its library (torch, pandas) inside ``run``.
"""
