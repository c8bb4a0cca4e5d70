"""RNN006 fixes: a one-element tuple or list given to a module that takes one tensor."""
import torch
import torch.nn as nn

BATCH, STEPS, FEATURES, HIDDEN = 4, 6, 3, 5
x = torch.randn(STEPS, BATCH, FEATURES)
h0 = torch.zeros(1, BATCH, HIDDEN)

gru = nn.GRU(FEATURES, HIDDEN)
out, h_n = gru(x, (h0,))
out, h_n = gru(x, hx=[h0])

rnn = nn.RNN(FEATURES, HIDDEN, nonlinearity="relu")
out, h_n = rnn(
    x,
    (torch.zeros(1, BATCH, HIDDEN),),  # the initial state
)
out, h_n = rnn(x, ((h0 * 2),))  # parentheses of the tensor are kept

cell = nn.GRUCell(FEATURES, HIDDEN)
h = torch.zeros(BATCH, HIDDEN)
for x_t in x:
    h = cell(x_t, (h,))
