"""Private training with opacus' DPLSTM, a drop-in nn.LSTM: the embedding is wider than the
layer's input size."""

import torch
import torch.nn as nn
from opacus.layers import DPLSTM


class PrivateClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(1000, 64)
        self.rnn = DPLSTM(32, 48, batch_first=True)
        self.out = nn.Linear(48, 2)

    def forward(self, tokens):
        out, (h_n, _) = self.rnn(self.embed(tokens))  # expect: RNN001
        return self.out(h_n[-1])


model = PrivateClassifier()
print(model(torch.randint(0, 1000, (8, 25))).shape)
