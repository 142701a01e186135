/*
 * libFuzzer target: binary (unarmored) age files, decrypted with SANCTUM_AGE_ARMOR_NO both
 * through the streaming decryptor (input cut into pieces) and sanctum_age_decrypt.
 */
#include "fuzz_age.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_age_setup();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_age_run(data, size, SANCTUM_AGE_ARMOR_NO);
	return 0;
}
