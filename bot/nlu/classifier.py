"""Multinomial logistic regression on sparse rows, trained with Adam in plain numpy."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SparseRows:
    """CSR matrix made of (indices, values) rows."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_features: int

    @classmethod
    def from_rows(cls, rows: list[tuple[np.ndarray, np.ndarray]], n_features: int) -> SparseRows:
        lengths = np.array([len(r[0]) for r in rows], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        indices = np.concatenate([r[0] for r in rows]) if rows else np.empty(0, np.int32)
        data = np.concatenate([r[1] for r in rows]) if rows else np.empty(0, np.float32)
        return cls(indptr, indices.astype(np.int32), data.astype(np.float32), n_features)

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1


def _row_sums(contrib: np.ndarray, indptr: np.ndarray, n_rows: int) -> np.ndarray:
    """Sum of contrib rows per CSR row; empty rows give zeros."""
    out = np.zeros((n_rows, contrib.shape[1]), dtype=np.float32)
    lengths = np.diff(indptr)
    nonempty = lengths > 0
    if contrib.shape[0]:
        out[nonempty] = np.add.reduceat(contrib, indptr[:-1][nonempty], axis=0)
    return out


@dataclass
class SoftmaxModel:
    weights: np.ndarray  # (n_features, n_classes) float32
    bias: np.ndarray  # (n_classes,) float32
    temperature: float = 1.0

    def logits_one(self, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
        if len(ids):
            return values @ self.weights[ids] + self.bias
        return self.bias.copy()

    def proba_one(self, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
        z = self.logits_one(ids, values) / self.temperature
        z = np.exp(z - z.max())
        return z / z.sum()

    def logits(self, x: SparseRows) -> np.ndarray:
        contrib = self.weights[x.indices] * x.data[:, None]
        return _row_sums(contrib, x.indptr, x.n_rows) + self.bias


def train_softmax(
    x: SparseRows,
    y: np.ndarray,
    n_classes: int,
    l2: float = 1e-4,
    epochs: int = 250,
    learning_rate: float = 0.05,
    seed: int = 0,
) -> SoftmaxModel:
    """Full-batch Adam on class-balanced cross-entropy + L2."""
    del seed  # full batch, zero init: deterministic
    n, f = x.n_rows, x.n_features
    w = np.zeros((f, n_classes), dtype=np.float32)
    b = np.zeros(n_classes, dtype=np.float32)
    onehot = np.zeros((n, n_classes), dtype=np.float32)
    onehot[np.arange(n), y] = 1.0
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    sample_w = (n / (n_classes * np.maximum(counts, 1)))[y].astype(np.float32) / n
    # Column order of the non-zeros, to sum gradients per feature with reduceat.
    row_of = np.repeat(np.arange(n), np.diff(x.indptr))
    order = np.argsort(x.indices, kind="stable")
    feat_sorted = x.indices[order]
    starts = np.flatnonzero(np.r_[True, feat_sorted[1:] != feat_sorted[:-1]]) if len(order) else order
    feat_ids = feat_sorted[starts]
    data_sorted = x.data[order][:, None]
    row_sorted = row_of[order]
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        z = _row_sums(w[x.indices] * x.data[:, None], x.indptr, n) + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g_rows = (p - onehot) * sample_w[:, None]
        g_w = l2 * w
        if len(order):
            g_w[feat_ids] += np.add.reduceat(g_rows[row_sorted] * data_sorted, starts, axis=0)
        g_b = g_rows.sum(axis=0)
        lr = learning_rate * np.sqrt(1 - beta2**step) / (1 - beta1**step)
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        w -= lr * m_w / (np.sqrt(v_w) + eps)
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        b -= lr * m_b / (np.sqrt(v_b) + eps)
    return SoftmaxModel(w.astype(np.float32), b.astype(np.float32))
