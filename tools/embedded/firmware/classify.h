// pith_classify_idx (classify.c): every sample of an IDX file through a model.
#ifndef PITH_CLASSIFY_H
#define PITH_CLASSIFY_H
#include <pith.h>

/// Reads the IDX file at path (unsigned bytes, multiplied by pith_input_scale, or float32;
/// one sample per first-dimension entry, of pith_input_size values), runs each sample and
/// prints "sample S: class NAME" (the label, else the class number). Each sample is run
/// `repeat` times (≥ 1; the same result each time: for instruction counts per inference).
/// The number of samples, or -1 after one line on stderr.
long long pith_classify_idx(pith_model *m, const char *path, int repeat);
#endif
