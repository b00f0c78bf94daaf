"""``.. skmnist-cli::`` — the command-line reference, generated from skmnist's argparse parser."""

import argparse

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


class CliReference(SphinxDirective):
    """Emit ``skmnist --help`` and every ``skmnist COMMAND --help`` as literal blocks."""

    def run(self):
        from skmnist._cli_parser import build_parser

        parser = build_parser()
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        result = []
        sections = [("skmnist", parser)] + [
            (f"skmnist {name}", sub) for name, sub in _subparsers(parser).items()
        ]
        for title, sub in sections:
            section = nodes.section(ids=[nodes.make_id(title)])
            section += nodes.title(text=title)
            section += nodes.literal_block(text=sub.format_help())
            result.append(section)
        return result


def setup(app):
    app.add_directive("skmnist-cli", CliReference)
    return {"parallel_read_safe": True, "version": "1"}
