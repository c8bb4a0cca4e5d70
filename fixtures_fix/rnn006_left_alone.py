"""RNN006 findings that no fix can settle: left exactly as they are."""
import torch
import torch.nn as nn

BATCH, STEPS, FEATURES, HIDDEN = 4, 6, 3, 5
x = torch.randn(STEPS, BATCH, FEATURES)
h0 = torch.zeros(1, BATCH, HIDDEN)

lstm = nn.LSTM(FEATURES, HIDDEN)
out, (h, c) = lstm(x, h0)  # which tensor is the cell state? only the author knows

gru = nn.GRU(FEATURES, HIDDEN)
out, h_n = gru(x, (h0, h0))  # two tensors: which one was meant?
state = (h0,)
out, h_n = gru(x, state)  # built elsewhere: the fix belongs there
out, h_n = gru(x, (h0,  # a comment the fix would drop
                   ))
out, h_n = gru(x, (h0,))  # noqa: RNN006
