"""``ops site``: the status site, a static view of every project built from the repository.

The stages, one module each: :mod:`model` takes the verdicts from the functions ``ops
exit-criteria`` and ``ops gate`` use (never judging anything itself) into small values;
:mod:`charts` and :mod:`mermaid` draw inline SVG; :mod:`markdown_html` renders a record's
body (CommonMark, no raw HTML, no unsafe link); :mod:`html`, :mod:`overview`, :mod:`project`
and :mod:`documents` turn values into pages; :mod:`build` reads each project and renders it
(on every core); :mod:`write` is the output folder: built beside the target, swapped in whole.
"""
