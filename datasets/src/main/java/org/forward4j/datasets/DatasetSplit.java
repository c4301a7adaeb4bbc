package org.forward4j.datasets;

import java.util.Objects;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.InvalidDataException;

/**
 * A training set and a test set with the same number of features and classes.
 *
 * @param train the set to train on
 * @param test the held-out set to evaluate on
 */
public record DatasetSplit(Dataset train, Dataset test) {

    /**
     * Checks that the two sets fit together.
     *
     * @param train the set to train on
     * @param test the held-out set to evaluate on
     * @throws InvalidDataException if the sets differ in cols or classes
     * @throws NullPointerException if a set is null
     */
    public DatasetSplit {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        if (train.cols() != test.cols() || train.classes() != test.classes()) {
            throw new InvalidDataException("Training set " + train + " and test set " + test
                    + " must have the same number of features and classes");
        }
    }

    /**
     * Keeps at most the first {@code maxTrain} training rows and {@code maxTest} test rows, for quick runs.
     *
     * @param maxTrain the most training rows, at least 1
     * @param maxTest the most test rows, at least 1
     * @return the limited split (this split when both sets are already small enough)
     * @throws InvalidConfigurationException if a limit is smaller than 1
     */
    public DatasetSplit limit(int maxTrain, int maxTest) {
        Dataset tr = train.subset(maxTrain);
        Dataset te = test.subset(maxTest);
        return tr == train && te == test ? this : new DatasetSplit(tr, te);
    }
}
