"""The generic abstract interpreter, one room per kind of code: statements, expressions, calls,
classes and functions, modules; the parsed file and its positions. It knows torch only through
`semantics` and RNN rules not at all; `rnnlint.static.interpreter` composes it with `rnn_checks`."""
