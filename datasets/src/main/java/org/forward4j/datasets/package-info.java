/**
 * Datasets as plain arrays: {@link org.forward4j.datasets.Dataset} (finite features, integer labels),
 * {@link org.forward4j.datasets.DatasetSplit}, {@link org.forward4j.datasets.FeatureScaler} (explicit scaling fitted
 * on the training split), the
 * {@link org.forward4j.datasets.Datasets#load(String)} facade (bundled MNIST subset, Fashion-MNIST, IDX
 * directories, CSV files) and the {@link org.forward4j.datasets.Idx} reader. A corrupt file is rejected whole with
 * {@link org.forward4j.plugin.InvalidDataException}, never half-loaded.
 */
package org.forward4j.datasets;
