/** Allocator comparisons at equal total queries: statistics, markdown table and plot (docs/method.md §3.5). */
package org.forward4j.cli.compare;
