/**
 * Datasets for the examples and tests, as plain arrays: {@link org.forward4j.datasets.Dataset} (features in
 * {@code [0, 1]}, integer labels), {@link org.forward4j.datasets.DatasetSplit}, the
 * {@link org.forward4j.datasets.Datasets#load(String)} facade (bundled MNIST subset, Fashion-MNIST, IDX
 * directories, CSV files) and the {@link org.forward4j.datasets.Idx} reader. A corrupt file is rejected whole with
 * {@link org.forward4j.plugin.InvalidDataException}, never half-loaded.
 */
package org.forward4j.datasets;
