/** The training loop of docs/method.md §4, its settings, optimisers and results. */
package org.forward4j.core.train;
