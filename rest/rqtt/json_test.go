package rqtt

import "testing"

// Numbers compare as the Java objects Jackson makes of them.
func TestNumberEquality(t *testing.T) {
	for _, tc := range []struct {
		a, b      string
		viaServer bool // a is read from a server response
		want      bool
	}{
		{"1", "1", false, true},
		{"12345678901234567890", "12345678901234567890", false, true},
		{"1", "1.0", false, false},
		{"1.5", "1.50", false, false},
		{"1.50", "1.50", false, true},
		{"1.5E3", "1.5E3", false, true},
		{"1.5E3", "1.5E3", true, false}, // written plain: an integer 1500
		{"1.5E3", "1500", true, true},
		{"[1,{\"A\":2.0}]", "[1,{\"A\":2.0}]", false, true},
		{"{\"A\":1,\"B\":2}", "{\"B\":2,\"A\":1}", false, true},
		{"[1,2]", "[2,1]", false, false},
	} {
		a, err := parseJSON([]byte(tc.a))
		if err != nil {
			t.Fatal(err)
		}
		b, err := parseJSON([]byte(tc.b))
		if err != nil {
			t.Fatal(err)
		}
		if tc.viaServer {
			a = throughServer(a)
		}
		if got := equal(a, b); got != tc.want {
			t.Errorf("%s == %s (via server %v): %v, want %v", tc.a, tc.b, tc.viaServer, got, tc.want)
		}
		if got := canonical(a) == canonical(b); got != tc.want {
			t.Errorf("canonical %s vs %s: %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestMaskStatement(t *testing.T) {
	for in, want := range map[string]string{
		"INSERT INTO TEST (K, ID) VALUES ('10');":                         "INSERT INTO TEST (K, ID) VALUES ('[value]');",
		"insert into input (id, val, ROWPARTITION) VALUES (1, 'a,b', 5);": "INSERT INTO INPUT (ID, VAL, ROWPARTITION) VALUES ('[value]', '[value]', '[value]');",
		"INSERT INTO `s` VALUES (STRUCT(A:=1, B:=2), ARRAY[1,2]);":        "INSERT INTO s VALUES ('[value]', '[value]');",
		"  SELECT * FROM AGGREGATE WHERE ID='10';  ":                      "SELECT * FROM AGGREGATE WHERE ID='10';",
	} {
		if got := maskStatement(in); got != want {
			t.Errorf("maskStatement(%q) = %q, want %q", in, got, want)
		}
	}
}
