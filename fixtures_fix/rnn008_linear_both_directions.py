"""RNN008 fixes: h_n[-1] of a bidirectional module fed to a Linear sized for both directions."""
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, vocab=100, embed=12, hidden=10, classes=3):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.encoder = nn.LSTM(embed, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, classes)  # sized for both directions

    def forward(self, tokens):
        _, (h_n, _) = self.encoder(self.embedding(tokens))
        sentence = h_n[-1]  # the sentence vector
        return self.head(sentence)


scores = Classifier()(torch.randint(0, 100, (5, 9)))

gru = nn.GRU(3, 8, bidirectional=True)
fc = nn.Linear(16, 2)
out, h = gru(torch.randn(7, 4, 3))
logits = fc(h[-1])
