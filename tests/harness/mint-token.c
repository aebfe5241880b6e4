/* mint-token.c: prints a Supabase-style HS256 access token, as Supabase Auth issues them, for the tests and
 * the demo (the web app's side): header {"alg":"HS256","typ":"JWT"}, claims sub, aud, role, iat, exp (and
 * iss when given), signed with the project's JWT secret (SUPABASE_JWT_SECRET, or --secret).
 * usage: mint-token --sub USER [--secret S] [--ttl SECONDS] [--aud AUD] [--iss ISS] [--role ROLE] */
#include <getopt.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* base64url without padding of len bytes into out (4/3 len + 4 bytes). */
static void
b64url(const unsigned char *in, size_t len, char *out)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p != '\0'; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

static char *
b64url_text(const char *text)
{
	size_t len = strlen(text);
	char *out = malloc(len * 4 / 3 + 8);

	if (out != NULL)
		b64url((const unsigned char *)text, len, out);
	return out;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sub", required_argument, NULL, 's' }, { "secret", required_argument, NULL, 'k' },
		{ "ttl", required_argument, NULL, 't' }, { "aud", required_argument, NULL, 'a' },
		{ "iss", required_argument, NULL, 'i' }, { "role", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub = NULL, *secret = getenv("SUPABASE_JWT_SECRET"), *aud = "authenticated", *iss = NULL;
	const char *role = "authenticated";
	long ttl = 3600;
	json_object *claims;
	char *head, *body, *input, sig64[128];
	size_t inlen;
	unsigned char sig[EVP_MAX_MD_SIZE];
	unsigned int siglen = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': sub = optarg; break;
		case 'k': secret = optarg; break;
		case 't': ttl = strtol(optarg, NULL, 10); break;
		case 'a': aud = optarg; break;
		case 'i': iss = optarg; break;
		case 'r': role = optarg; break;
		default: return 2;
		}
	}
	if (sub == NULL || secret == NULL || *secret == '\0') {
		fprintf(stderr, "usage: mint-token --sub USER [--secret S | $SUPABASE_JWT_SECRET] [--ttl SECONDS] [--aud AUD] "
		    "[--iss ISS] [--role ROLE]\n");
		return 2;
	}
	claims = json_object_new_object();
	json_object_object_add(claims, "sub", json_object_new_string(sub));
	json_object_object_add(claims, "aud", json_object_new_string(aud));
	json_object_object_add(claims, "role", json_object_new_string(role));
	json_object_object_add(claims, "iat", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(claims, "exp", json_object_new_int64((int64_t)time(NULL) + ttl));
	if (iss != NULL)
		json_object_object_add(claims, "iss", json_object_new_string(iss));
	head = b64url_text("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
	body = b64url_text(json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN));
	if (head == NULL || body == NULL || (input = malloc(inlen = strlen(head) + strlen(body) + 2)) == NULL)
		return 1;
	(void)snprintf(input, inlen, "%s.%s", head, body);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)input, strlen(input), sig, &siglen);
	b64url(sig, siglen, sig64);
	printf("%s.%s\n", input, sig64);
	json_object_put(claims);
	free(head);
	free(body);
	free(input);
	return 0;
}
