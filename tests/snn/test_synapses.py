"""The network's own synapse backend."""

import numpy as np

from memsim.snn.synapses import DigitalSynapses


def test_digital_synapses_read_their_weights():
    syn = DigitalSynapses(np.eye(3))
    assert syn.forward is syn.weights
    np.testing.assert_array_equal(syn.propagate(np.array([1.0, 0.0, 2.0])), [1.0, 0.0, 2.0])
    assert syn.counts == {"synaptic_events": 6, "propagations": 1}
