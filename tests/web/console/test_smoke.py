

def test_pages_render_for_admin(login):
    client = login("admin@terrapro.test")
    for path in ("/console/", "/console/questions", "/console/catalogue", "/console/file", "/console/diffusions",
                 "/console/referents", "/console/journal", "/console/graphiques/filieres.csv", "/console/questions.csv",
                 "/console/catalogue/formations.csv", "/console/catalogue?q=solaire"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:2000])
