/**
 * The {@code lr} estimator: likelihood-ratio gradients from activation noise (docs/method.md §2, "LR"), the estimator
 * the FLOPS paper pairs its query allocator with. Select it with the name {@code lr}; it needs a
 * {@link org.forward4j.estimator.NetworkObjective} (a native model whose layer outputs can be perturbed).
 */
package org.forward4j.estimator.lr;
