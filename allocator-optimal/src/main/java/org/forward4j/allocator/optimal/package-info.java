/**
 * Allocators that learn where the gradient noise is (docs/method.md §3): {@code optimal}, this project's
 * four-parameter reading of the FLOPS paper's reparameterised Gaussian allocator, trained by a score-function step
 * (docs/method.md §3.2), and {@code neyman}, the closed-form
 * allocation from each point's remembered variance (docs/method.md §3.3). Both integerise with
 * {@link org.forward4j.allocator.Allocations#proportional} (docs/method.md §3.4).
 *
 * <p>Both work on the batch in a canonical order (by point id) internally, so permuting a batch permutes its
 * allocation and nothing else: no result depends on the order in which the engine lists the points.
 */
package org.forward4j.allocator.optimal;
