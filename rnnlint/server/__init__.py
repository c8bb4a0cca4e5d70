"""`rnnlint server`: the linter in the editor, as a language server (LSP over stdio).

`actions` makes the edits of the code actions (pure, no LSP types); `protocol` speaks LSP with
pygls (an optional dependency: `pip install "rnnlint[server]"`). Nothing here imports torch
or runs the code it lints.
"""
