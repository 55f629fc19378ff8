"""Jinja2, imported here and nowhere else: the changelog's user templates and the HTML report.

Imported only by the commands that render templates, so ``phasediff log``
never pays for it.
"""

from __future__ import annotations

import jinja2
import jinja2.sandbox

TemplateError = jinja2.TemplateError
TemplateSyntaxError = jinja2.TemplateSyntaxError


def sandboxed_environment() -> jinja2.sandbox.SandboxedEnvironment:
    """For a user's template: it can read the data it is given, nothing else; no autoescape."""
    return jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def package_environment(folder: str) -> jinja2.Environment:
    """For the package's own HTML templates under ``phasediff/templates/<folder>``: autoescaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("phasediff", f"templates/{folder}"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=True,
    )
