"""The ``run-code`` directive: run a Python example when the docs are built and show what it prints.

matplotlib's ``plot`` directive shows figures but not printed output; this
directive shows the code and, below it, its standard output and the messages of
any warnings it raised, so that the numbers on a page always come from the
code on the page. An exception fails the build (the documentation is built
with ``-W``).
"""

from __future__ import annotations

import contextlib
import io
import traceback
import warnings

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class RunCode(SphinxDirective):
    has_content = True

    def run(self) -> list[nodes.Node]:
        code = "\n".join(self.content)
        source, line = self.get_source_info()
        namespace: dict[str, object] = {"__name__": "__docs__"}
        output = io.StringIO()
        with contextlib.redirect_stdout(output), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                # dont_inherit: the example runs as a user's script would, without this module's __future__ imports
                exec(compile(code, f"{source}:{line}", "exec", dont_inherit=True), namespace)
            except Exception:
                message = traceback.format_exc(limit=-3)
                return [self.state.document.reporter.error(f"run-code example failed:\n{message}", line=line)]
        text = output.getvalue().rstrip("\n")
        seen: list[str] = []
        for record in caught:
            entry = f"{record.category.__name__}: {record.message}"
            if entry not in seen:
                seen.append(entry)
        if seen:
            text = "\n".join([text, *seen]) if text else "\n".join(seen)
        code_node = nodes.literal_block(code, code, language="python")
        result: list[nodes.Node] = [code_node]
        if text:
            output_node = nodes.literal_block(text, text, language="none")
            output_node["classes"].append("run-code-output")
            result.append(output_node)
        return result


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("run-code", RunCode)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
