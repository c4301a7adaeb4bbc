/** The training loop of method.md §4, its settings, optimisers and results. */
package org.forward4j.core.train;
