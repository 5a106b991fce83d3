"""Independent numpy σ and σ' (closed forms written from scratch), shared by the tests."""

import math

import numpy as np
import scipy.special


NP_SIGMA = {
    "tanh": np.tanh,
    "logistic": scipy.special.expit,
    "arctan": np.arctan,
    "erf": scipy.special.erf,
    "softsign": lambda z: z / (1.0 + np.abs(z)),
}
NP_D1 = {
    "tanh": lambda z: 1.0 / np.cosh(z) ** 2,
    "logistic": lambda z: scipy.special.expit(z) * scipy.special.expit(-z),
    "arctan": lambda z: 1.0 / (1.0 + z * z),
    "erf": lambda z: 2.0 / math.sqrt(math.pi) * np.exp(-z * z),
    "softsign": lambda z: 1.0 / (1.0 + np.abs(z)) ** 2,
}
