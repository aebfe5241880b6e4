# prefect-double.sh: sourced (after check.sh) by the tests that run against tests/doubles/prefect_double.
# prefect_double_start NAME: starts the double with a key of its own (PREFECT_DOUBLE_KEY, exported for
# the test's API calls); $P is its address and $PREFECT_CONFIG the settings lines that point captionacc at
# it, to begin the test's EXTRA_CONFIG with.
prefect_double_start() {
	PREFECT_DOUBLE_KEY=pd-$1-$$
	export PREFECT_DOUBLE_KEY
	"$stack" prefect-start "$dir"
	P="http://127.0.0.1:$(cat "$dir/prefect.port")"
	PREFECT_CONFIG="QUEUE_BACKEND = prefect
PREFECT_API_URL = $P/api
PREFECT_API_KEY = $PREFECT_DOUBLE_KEY"
}
