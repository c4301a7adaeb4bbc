/**
 * The {@code opencl} backend: Aparapi kernels that evaluate query plans of native networks on an OpenCL device,
 * generating the perturbation noise in-kernel from the shared Philox streams (docs/method.md §5, §6).
 *
 * <p>{@link org.forward4j.backend.opencl.OpenClBackendProvider} is the entry point;
 * {@link org.forward4j.backend.opencl.GpuCheck} is a command-line parity and throughput check for a device.
 */
package org.forward4j.backend.opencl;
