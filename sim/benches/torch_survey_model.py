"""PyTorch yardstick for `usm bench --only model`, on the CPU or a CUDA GPU: the paper's in-feed survey
model (section 3.1), trained and run for inference at batch 1024; prints samples/s.

This is ../shared/bench/torch_survey_model.py (the yardstick the issues quote) with two additions and
nothing else changed: a device (`--device cuda` runs it on the GPU `usm bench --device wgpu` runs on, so
the two stand side by side on one card), and a synchronisation before each clock read, without which
a GPU's queued work would go untimed (a no-op on the CPU).

Usage: python3 torch_survey_model.py [THREADS=2] [BATCH=1024] [VOCAB=100000,50000,10000] [sparse] [--device cpu|cuda]
"sparse" trains the id embeddings with sparse gradients and SparseAdam (lazy Adam), the same algorithm
as usm's host embedding tables; without it every embedding row is updated every step.
Architecture: id embeddings (user, item, author) + dense features -> backbone FC 512/256/128,
LHUC gates from the id embeddings on the input of each backbone layer, SE block on the backbone
output, N heads of FC 64/16/1; weighted BCE on logits; Adam."""
import sys, time, torch, torch.nn as nn

args = [a for a in sys.argv[1:]]
device = "cpu"
if "--device" in args:
    k = args.index("--device")
    device = args[k + 1]
    del args[k:k + 2]
torch.manual_seed(0)
threads = int(args[0]) if len(args) > 0 else 2
batch = int(args[1]) if len(args) > 1 else 1024
torch.set_num_threads(threads)
U, I, A, D, F, H = [int(x) for x in (args[2] if len(args) > 2 else "100000,50000,10000").split(",")] + [32, 64, 3]
SPARSE = len(args) > 3 and args[3] == "sparse"

def sync():
    if device.startswith("cuda"):
        torch.cuda.synchronize()

class Lhuc(nn.Module):
    def __init__(s, ids, width):
        super().__init__(); s.g = nn.Sequential(nn.Linear(ids, width), nn.Sigmoid())
    def forward(s, x, e): return x * 2.0 * s.g(e)

class Model(nn.Module):
    def __init__(s):
        super().__init__()
        s.u, s.i, s.a = (nn.Embedding(n, D, sparse=SPARSE) for n in (U, I, A))
        widths = [3 * D + F, 512, 256, 128]
        s.fc = nn.ModuleList(nn.Linear(widths[k], widths[k + 1]) for k in range(3))
        s.lhuc = nn.ModuleList(Lhuc(3 * D, widths[k]) for k in range(3))
        s.se = nn.Sequential(nn.Linear(128, 32), nn.ReLU(), nn.Linear(32, 128), nn.Sigmoid())
        s.heads = nn.ModuleList(nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 1)) for _ in range(H))
    def forward(s, u, i, a, x):
        e = torch.cat([s.u(u), s.i(i), s.a(a)], 1)
        h = torch.cat([e, x], 1)
        for fc, g in zip(s.fc, s.lhuc): h = torch.relu(fc(g(h, e)))
        h = h * s.se(h)
        return torch.cat([hd(h) for hd in s.heads], 1)

m = Model().to(device)
class Opts:
    def __init__(s, m):
        emb = [p for n, p in m.named_parameters() if n.split(".")[0] in ("u", "i", "a")]
        rest = [p for n, p in m.named_parameters() if n.split(".")[0] not in ("u", "i", "a")]
        s.o = [torch.optim.SparseAdam(emb, 1e-3), torch.optim.Adam(rest, 1e-3)] if SPARSE else [torch.optim.Adam(m.parameters(), 1e-3)]
    def zero_grad(s): [o.zero_grad() for o in s.o]
    def step(s): [o.step() for o in s.o]
opt = Opts(m)
n_batches = 40
data = [tuple(t.to(device) for t in (torch.randint(0, U, (batch,)), torch.randint(0, I, (batch,)), torch.randint(0, A, (batch,)),
         torch.randn(batch, F), torch.randint(0, 2, (batch, H)).float(), torch.rand(batch, H) + 0.5)) for _ in range(8)]
def step(d):
    u, i, a, x, y, w = d
    loss = nn.functional.binary_cross_entropy_with_logits(m(u, i, a, x), y, weight=w)
    opt.zero_grad(); loss.backward(); opt.step()
for k in range(5): step(data[k % 8])
sync()
t = time.perf_counter()
for k in range(n_batches): step(data[k % 8])
sync()
dt = time.perf_counter() - t
print(f"torch {torch.__version__} device={device} threads={threads} batch={batch} sparse={SPARSE} train_samples_per_s={n_batches*batch/dt:.0f}")
with torch.no_grad():
    sync()
    t = time.perf_counter()
    for k in range(n_batches): m(*data[k % 8][:4])
    sync()
    dt = time.perf_counter() - t
print(f"infer_samples_per_s={n_batches*batch/dt:.0f}")
