package org.forward4j.backend.opencl;

import com.aparapi.device.OpenCLDevice;
import java.util.ArrayList;
import java.util.List;
import org.forward4j.backend.Backend;
import org.forward4j.estimator.NetworkObjective;
import org.forward4j.estimator.Objective;
import org.forward4j.estimator.QueryEvaluator;
import org.forward4j.estimator.ReferenceQueryEvaluator;
import org.forward4j.estimator.graph.GraphObjective;

/**
 * The {@code opencl} backend: network objectives run on one OpenCL device; black-box objectives are evaluated on
 * the host (they are arbitrary Java code, so there is nothing to run on the device: the perturbed parameters are
 * materialised on the host and {@link Objective#losses} is called, exactly like {@link ReferenceQueryEvaluator}).
 * Layer graphs run when they are MLPs with every parameter trainable and are refused otherwise, naming the first
 * layer the kernels do not cover ({@link GraphSupport}).
 */
final class OpenClBackend implements Backend {

    private final OpenCLDevice device;
    private final String description;
    private final int chunkRows;
    private final long weightBufferFloats;
    private final List<NetworkEvaluator> evaluators = new ArrayList<>();
    /** The session the provider probed the device with; the first network evaluator takes it (already compiled). */
    private KernelSession spare;
    private boolean closed;

    OpenClBackend(KernelSession probed, int chunkRows, long weightBufferFloats) {
        this.spare = probed;
        this.device = probed.device();
        this.description = OpenClDevices.describe(device);
        this.chunkRows = chunkRows;
        this.weightBufferFloats = weightBufferFloats;
    }

    @Override
    public String device() {
        return "opencl: " + description;
    }

    OpenCLDevice openClDevice() {
        return device;
    }

    @Override
    public synchronized QueryEvaluator evaluator(Objective objective) {
        if (closed) {
            throw new IllegalStateException("The opencl backend was closed; create a new one");
        }
        if (objective instanceof GraphObjective graph) {
            // refused before any device memory is taken; an MLP graph runs as its network
            return GraphSupport.evaluator(graph, evaluator(GraphSupport.asNetwork(graph)));
        }
        if (objective instanceof NetworkObjective net) {
            KernelSession session = spare != null ? spare : new KernelSession(device);
            spare = null;
            NetworkEvaluator e = new NetworkEvaluator(net, session, chunkRows, weightBufferFloats);
            evaluators.add(e);
            return e;
        }
        return new ReferenceQueryEvaluator(objective);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            for (NetworkEvaluator e : evaluators) {
                e.close();
            }
            evaluators.clear();
            if (spare != null) {
                spare.close();
                spare = null;
            }
        }
    }
}
