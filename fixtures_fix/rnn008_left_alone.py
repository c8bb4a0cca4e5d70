"""RNN008 findings whose fix is a decision about the model: left exactly as they are."""
import torch
import torch.nn as nn

gru = nn.GRU(3, 8, bidirectional=True)
out, h = gru(torch.randn(7, 4, 3))

one_direction = nn.Linear(8, 2)  # sized for one direction: concatenating would break it
logits = one_direction(h[-1])

both = nn.Linear(16, 2)
summary = h[-1]
logits = both(summary)
print(summary.shape)  # read twice: changing it changes this too

last_step = out[-1]  # RNN008 on the output: which halves to join is a choice
