#ifndef CDIGITS_H
#define CDIGITS_H
/// The UCI digits data set (test part), gzip-compressed CSV, embedded in the package.
/// E. Alpaydin and C. Kaynak, CC BY 4.0, UCI Machine Learning Repository.
/// Pointer to the first of `pith_digits_csv_gz_size()` bytes.
const unsigned char *pith_digits_csv_gz(void);
unsigned long pith_digits_csv_gz_size(void);
#endif
